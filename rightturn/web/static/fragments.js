// Parts of a page that take longer to compute load after it shows: an element with
// data-fragment="/path" is replaced by the HTML that path answers (same origin, same cookies).
document.querySelectorAll("[data-fragment]").forEach((el) => {
  fetch(el.dataset.fragment, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
    .then((html) => { el.outerHTML = html; })
    .catch(() => { el.textContent = "Could not load this part; reload the page to try again."; });
});
