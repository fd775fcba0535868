// fieldcrm back office: the little behaviour htmx does not cover. No inline script anywhere
// (the Content-Security-Policy forbids it), so everything lives here.
(function () {
  "use strict";
  // A partial request whose session expired answers 401: go to the sign-in page.
  document.addEventListener("htmx:responseError", function (e) {
    if (e.detail && e.detail.xhr && e.detail.xhr.status === 401) {
      window.location.href = "/login";
    }
  });
  // Forms marked data-swap-errors show the explanation a 4xx answer carries (e.g. an upload
  // that is not a spreadsheet) instead of dropping it.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail && e.detail.xhr;
    var elt = e.detail && e.detail.requestConfig && e.detail.requestConfig.elt;
    if (xhr && xhr.status >= 400 && xhr.status < 500 && xhr.status !== 401 &&
        elt && elt.closest && elt.closest("[data-swap-errors]")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  // A "select all" checkbox ticks every checkbox of the class it names.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.matches && el.matches("input[data-check-all]")) {
      document.querySelectorAll("input." + el.getAttribute("data-check-all")).forEach(function (box) {
        box.checked = el.checked;
      });
    }
  });
  // Filter selects submit their form on change.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) {
      el.form.requestSubmit();
    }
  });
})();
