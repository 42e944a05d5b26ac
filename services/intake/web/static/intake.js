// Progressive enhancement only: every form works without JavaScript.
(function () {
  "use strict";
  if (window.DKFDS && typeof window.DKFDS.init === "function") {
    window.DKFDS.init();
  }
  // A page with errors: the summary takes the focus (autofocus does it without JavaScript, once).
  var summary = document.querySelector(".infohus-error-summary");
  if (summary && document.activeElement !== summary) {
    summary.focus();
  }
})();
