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
  // Buttons marked data-print open the browser's print dialog (the order's print view).
  document.addEventListener("click", function (e) {
    var el = e.target;
    if (el && el.matches && el.matches("button[data-print]")) {
      window.print();
    }
  });
  // Filter selects submit their form on change.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) {
      el.form.requestSubmit();
    }
  });
  // New ticket: choosing a contact fills the contact name and phone.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (!(el && el.matches && el.matches("select[data-fill-contact]"))) { return; }
    var opt = el.options[el.selectedIndex];
    var name = document.getElementById("f-contact-name");
    var phone = document.getElementById("f-contact-phone");
    if (opt && name && phone) {
      name.value = opt.getAttribute("data-name") || "";
      phone.value = opt.getAttribute("data-phone") || "";
    }
  });
  // Dispatch board: a card (data-drag-form names its form) dropped on an engineer's column
  // (data-drop-engineer) posts that form with the column's engineer, as a click on its button
  // would, then shows the board the server answers with.
  var dragged = null;
  document.addEventListener("dragstart", function (e) {
    var card = e.target && e.target.closest && e.target.closest("[data-drag-form]");
    if (!card) { return; }
    dragged = card;
    card.classList.add("dragging");
    if (e.dataTransfer) {
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", card.getAttribute("data-drag-form"));
    }
  });
  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    document.querySelectorAll(".drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  });
  function dropColumn(e) {
    return e.target && e.target.closest && e.target.closest("[data-drop-engineer]");
  }
  document.addEventListener("dragover", function (e) {
    var col = dropColumn(e);
    if (!col) { return; }
    e.preventDefault();
    if (e.dataTransfer) { e.dataTransfer.dropEffect = "move"; }
    col.classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (e) {
    var col = dropColumn(e);
    if (col && !col.contains(e.relatedTarget)) { col.classList.remove("drop-target"); }
  });
  document.addEventListener("drop", function (e) {
    var col = dropColumn(e);
    if (!col) { return; }
    e.preventDefault();
    col.classList.remove("drop-target");
    var id = (e.dataTransfer && e.dataTransfer.getData("text/plain")) ||
      (dragged && dragged.getAttribute("data-drag-form"));
    var form = id && document.getElementById(id);
    if (!form || !form.elements.engineer) { return; }
    form.elements.engineer.value = col.getAttribute("data-drop-engineer");
    var token = form.elements._csrf ? form.elements._csrf.value : "";
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": token },
      body: new URLSearchParams(new FormData(form)).toString()
    }).then(function (r) {
      if (r.ok) {
        window.location.href = r.url;
      } else {
        // A refused step: post the form the plain way so the server's explanation shows.
        form.submit();
      }
    }, function () { form.submit(); });
  });
})();
