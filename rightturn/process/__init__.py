"""The sales process as data: its definition (stages, cadences, dispositions), versions in
force, plan-vs-actual inspection, and each rep's guided day."""
