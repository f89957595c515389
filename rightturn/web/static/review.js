// The review queue's "Show the thread": the first time a disclosure opens, its messages are
// fetched from /review/{id}/thread?fragment=1 (server-rendered, escaped HTML). Without
// JavaScript the link inside opens the thread on its own page.
(function () {
  document.querySelectorAll("details[data-thread-url]").forEach(function (details) {
    details.addEventListener("toggle", function () {
      if (!details.open || details.dataset.loaded) return;
      details.dataset.loaded = "1";
      var body = details.querySelector(".thread-body");
      fetch(details.dataset.threadUrl, { credentials: "same-origin" })
        .then(function (answer) {
          if (!answer.ok) throw new Error(String(answer.status));
          return answer.text();
        })
        .then(function (html) { body.innerHTML = html; })
        .catch(function () {
          details.dataset.loaded = "";
          body.insertAdjacentText("afterbegin", "The thread could not be loaded here. ");
        });
    });
  });
})();
