"""Return-on-Effort: which sales practices earn buyer responses, per rep, with evidence.

``touches`` reads every outbound touch with its practice and its outcome; ``focus`` says whether
an email is about the buyer's issue or the seller's product; ``templates`` finds the template an
email came from; ``rates`` and ``report`` give response rates by practice with intervals;
``stats`` compares practices pooled and within rep, and runs A/B tests that hold up under
repeated looking.
"""
