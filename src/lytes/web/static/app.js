// lytes page: draws the plotly figures a response carries, and puts each one-line error next to its field.
(function () {
  "use strict";

  function drawPlots(root) {
    if (!window.Plotly) { return; }
    root.querySelectorAll("script.lytes-figure").forEach(function (s) {
      var fig = JSON.parse(s.textContent);
      var div = document.getElementById(s.dataset.target);
      if (!div) { return; }
      window.Plotly.newPlot(div, fig.data, fig.layout, {responsive: true, displaylogo: false});
      div.dataset.drawn = "1";
    });
  }

  function clearErrors(form) {
    form.querySelectorAll(".error-line").forEach(function (e) { e.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
  }

  function showErrors(root) {
    var block = root.querySelector("script.lytes-errors");
    if (!block) { return; }
    var errors = JSON.parse(block.textContent);
    var first = null;
    Object.keys(errors).forEach(function (id) {
      var line = document.getElementById("err-" + id) || document.getElementById("err-form");
      if (line) { line.textContent = errors[id]; }
      var input = document.getElementById(id);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        var box = input.closest("details");
        if (box) { box.open = true; }
        first = first || input;
      }
    });
    if (first) { first.focus(); }
  }

  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.detail.elt.closest ? e.detail.elt.closest("form") : null;
    if (form) { clearErrors(form); }
  });

  document.addEventListener("htmx:afterSettle", function (e) {
    var root = e.detail.target || document;
    drawPlots(root);
    showErrors(root);
    if (root.id === "form-fields") {
      var sel = document.getElementById("builtin");
      var about = document.getElementById("builtin-about");
      if (sel && about) { about.href = "/builtins/" + sel.value; }
    }
  });

  document.addEventListener("htmx:responseError", function (e) {
    var line = document.getElementById("err-form");
    if (line) { line.textContent = "The server refused the request (" + e.detail.xhr.status + ")."; }
  });

  // downloads: post the scenario form and save the file; a refusal is shown in one line
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("[data-download]") : null;
    if (!button) { return; }
    e.preventDefault();
    var form = document.getElementById("scenario-form");
    var line = document.getElementById("err-form");
    line.textContent = "";
    fetch(button.dataset.download, {method: "POST", body: new FormData(form)}).then(function (r) {
      if (!r.ok) {
        return r.json().then(function (j) { line.textContent = j.error || ("refused (" + r.status + ")"); });
      }
      var name = (r.headers.get("Content-Disposition") || "").split('filename="')[1] || "lytes";
      return r.blob().then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = name.replace('"', "");
        document.body.appendChild(a);
        a.click();
        a.remove();
      });
    });
  });

  document.addEventListener("change", function (e) {
    if (e.target.id === "builtin") {
      var about = document.getElementById("builtin-about");
      if (about) { about.href = "/builtins/" + e.target.value; }
    }
  });

  // which scenario a run uses: the form (Run, or Enter in a field) or the YAML box (Run YAML). Set before htmx
  // reads the form (a capturing listener runs first); the downloads then post the same source.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.id !== "scenario-form") { return; }
    document.getElementById("source").value = form.dataset.next || "form";
    delete form.dataset.next;
  }, true);

  document.addEventListener("click", function (e) {
    if (!e.target.closest || !e.target.closest("#run-yaml")) { return; }
    var form = document.getElementById("scenario-form");
    form.dataset.next = "yaml";
    form.requestSubmit();
  });

  // "Add a medication / dose / arm": a blank row from its <template>, numbered after the last one
  var MAX_ROWS = 40;
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button[data-add]") : null;
    if (!button) { return; }
    var into = document.getElementById(button.dataset.into);
    var tpl = document.getElementById("tpl-" + button.dataset.add);
    if (!into || !tpl) { return; }
    var n = into.querySelectorAll(":scope > fieldset.rowset").length;
    if (n >= MAX_ROWS) {
      document.getElementById("err-form").textContent = "At most " + MAX_ROWS + " rows here.";
      return;
    }
    var html = tpl.innerHTML.split("__P__").join(button.dataset.prefix || "")
      .split("__NUM__").join(String(n + 1)).split("__N__").join(String(n));
    into.insertAdjacentHTML("beforeend", html);
    var added = into.lastElementChild;
    var first = added && added.querySelector("input:not([type=hidden]), select");
    if (first) { first.focus(); }
  });

  // a built-in's description and sources describe it as written: once the form is changed they no longer do
  function changed(e) {
    var t = e.target;
    if (!t.closest || !t.closest("#form-fields") || ["name", "description", "every"].indexOf(t.id) >= 0) { return; }
    var sources = document.getElementById("sources");
    if (sources) { sources.value = ""; }
    var desc = document.getElementById("description");
    if (desc && desc.value && desc.value === desc.defaultValue) { desc.value = ""; }
  }
  document.addEventListener("input", changed);
  document.addEventListener("change", changed);
})();
