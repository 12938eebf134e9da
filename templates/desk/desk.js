// roundup desk: the one script of every page (served from /assets/desk.js; the CSP allows no
// other). Text from feeds is only ever put into the page with textContent; the only HTML put
// in with innerHTML is the draft's, rendered and sanitised by the server's draft pipeline.
"use strict";

(function () {
  const body = document.body;
  const page = body.dataset.page;
  const week = body.dataset.week || "";
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.from((root || document).querySelectorAll(sel)); }

  let toastTimer = null;
  function toast(message, isError) {
    const t = $("#toast");
    if (!t || !message) return;
    t.textContent = message;
    t.className = "show" + (isError ? " error" : "");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.className = ""; }, isError ? 6000 : 2500);
  }

  // POST a form to the desk; resolves to {ok, status, data}.
  async function post(url, fields) {
    const form = new URLSearchParams();
    form.set("week", week);
    for (const [k, v] of Object.entries(fields)) form.set(k, v == null ? "" : String(v));
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf, "Accept": "application/json" },
        body: form,
        credentials: "same-origin",
      });
    } catch (e) {
      return { ok: false, status: 0, data: { error: "The desk cannot be reached: is `roundup desk` still running?" } };
    }
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: "HTTP " + response.status }; }
    return { ok: response.ok && data.ok !== false, status: response.status, data: data };
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" });
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: "HTTP " + response.status }; }
    if (!response.ok || data.ok === false) throw new Error(data.error || ("HTTP " + response.status));
    return data;
  }

  function q(params) {
    const s = new URLSearchParams(Object.assign({ week: week }, params || {}));
    return "?" + s.toString();
  }

  // ---------------------------------------------------------------- candidates
  function candidatesPage() {
    const list = $("#candidates");
    const rows = list ? $$(".candidate", list) : [];
    let current = -1;
    let searchIds = null; // null: no search
    let searchSeq = 0;

    function label(row) {
      const b = $('[data-action="pick"]', row);
      const picked = row.dataset.state === "picked";
      b.textContent = picked ? "Picked ✓" : "Pick";
      b.title = picked ? "Take it out of the post (space)" : "Pick it into the post (space)";
      b.setAttribute("aria-pressed", picked ? "true" : "false");
    }
    rows.forEach(label);

    function counts() {
      const shown = rows.filter(function (r) { return !r.classList.contains("hide"); }).length;
      const picked = rows.filter(function (r) { return r.dataset.state === "picked"; }).length;
      const s = $("#count-shown"); if (s) s.textContent = shown;
      const p = $("#count-picked"); if (p) p.textContent = picked;
    }

    function visible() { return rows.filter(function (r) { return !r.classList.contains("hide"); }); }

    function apply() {
      const feed = $("#feed-filter") ? $("#feed-filter").value : "";
      const tag = $("#tag-filter") ? $("#tag-filter").value : "";
      const tagFeeds = tag ? tag.split(" ") : null;
      const showSkipped = $("#show-skipped") && $("#show-skipped").checked;
      for (const r of rows) {
        let show = true;
        if (searchIds && !searchIds.has(r.dataset.entryId)) show = false;
        if (feed && r.dataset.feed !== feed) show = false;
        if (tagFeeds && tagFeeds.indexOf(r.dataset.feed) < 0) show = false;
        if (r.dataset.state === "skipped" && !showSkipped) show = false;
        r.classList.toggle("hide", !show);
      }
      counts();
    }

    function focusRow(i) {
      const v = visible();
      if (!v.length) return;
      i = Math.max(0, Math.min(v.length - 1, i));
      if (current >= 0 && rows[current]) rows[current].classList.remove("current");
      const row = v[i];
      current = rows.indexOf(row);
      row.classList.add("current");
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    }

    function currentRow() { return current >= 0 ? rows[current] : null; }

    async function togglePick(row) {
      const entry = row.dataset.entryId;
      const picked = row.dataset.state === "picked";
      const r = await post(picked ? "/api/unpick" : "/api/pick", { entry: entry });
      if (!r.ok) { toast(r.data.error, true); return; }
      row.dataset.state = r.data.state;
      label(row);
      counts();
      toast(r.data.message);
    }

    async function skip(row) {
      const r = await post("/api/skip", { entry: row.dataset.entryId });
      if (!r.ok) { toast(r.data.error, true); return; }
      row.dataset.state = "skipped";
      label(row);
      const i = visible().indexOf(row);
      apply();
      if (row.classList.contains("hide")) focusRow(i); else focusRow(i + 1);
      toast(r.data.message);
    }

    if (list) {
      list.addEventListener("click", function (ev) {
        const b = ev.target.closest("button[data-action]");
        if (!b) return;
        const row = b.closest(".candidate");
        current = rows.indexOf(row);
        if (b.dataset.action === "pick") togglePick(row);
        if (b.dataset.action === "skip") skip(row);
      });
    }

    const filter = $("#filter");
    let timer = null;
    if (filter) {
      filter.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(async function () {
          const words = filter.value.trim();
          const seq = ++searchSeq;
          if (!words) { searchIds = null; apply(); return; }
          try {
            const data = await getJson("/api/search" + q({ q: words }));
            if (seq !== searchSeq) return;
            searchIds = new Set(data.ids.map(String));
            apply();
          } catch (e) { toast(e.message, true); }
        }, 120);
      });
      filter.addEventListener("keydown", function (ev) {
        if (ev.key === "Escape") { filter.value = ""; searchIds = null; apply(); filter.blur(); }
        if (ev.key === "Enter" || ev.key === "ArrowDown") { ev.preventDefault(); filter.blur(); focusRow(0); }
      });
    }
    for (const id of ["#feed-filter", "#tag-filter"]) {
      const el = $(id);
      if (el) el.addEventListener("change", apply);
    }
    const skipped = $("#show-skipped");
    if (skipped) {
      skipped.addEventListener("change", function () {
        location.search = q(skipped.checked ? { all: "1" } : {});
      });
    }

    document.addEventListener("keydown", function (ev) {
      const t = ev.target;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const v = visible();
      const at = v.indexOf(currentRow());
      if (ev.key === "j" || ev.key === "ArrowDown") { ev.preventDefault(); focusRow(at + 1); }
      else if (ev.key === "k" || ev.key === "ArrowUp") { ev.preventDefault(); focusRow(at < 0 ? 0 : at - 1); }
      else if (ev.key === " " && currentRow() && !(t && t.tagName === "BUTTON")) { ev.preventDefault(); togglePick(currentRow()); }
      else if (ev.key === "s" && currentRow()) { ev.preventDefault(); skip(currentRow()); }
      else if (ev.key === "Enter" && currentRow() && !(t && (t.tagName === "BUTTON" || t.tagName === "A"))) { ev.preventDefault(); $("a.title", currentRow()).click(); }
      else if (ev.key === "/" && filter) { ev.preventDefault(); filter.focus(); }
    });
    for (const r of rows) r.addEventListener("focus", function () {
      if (current >= 0 && rows[current]) rows[current].classList.remove("current");
      current = rows.indexOf(r);
      r.classList.add("current");
    });
    // Coming back from an item: its row is current.
    const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    apply();
    if (target && rows.indexOf(target) >= 0) focusRow(visible().indexOf(target));
  }

  // ---------------------------------------------------------------- item
  function itemPage() {
    const main = $("main.item-page");
    const entry = main.dataset.entryId;
    const box = $("#paragraphs");
    const excerpt = $("#excerpt");
    const paraField = $("#excerpt-para");
    const source = $("#excerpt-source");
    const quoteSel = $("#quote-selection");
    const status = $("#status");

    function say(message, cls) {
      status.textContent = message || "";
      status.className = cls || "";
    }

    function marked() { return $$(".para.marked", box); }

    function fromMarks() {
      const m = marked();
      paraField.value = m.map(function (p) { return p.dataset.n; }).join(",");
      excerpt.value = m.map(function (p) { return p.textContent; }).join("\n\n");
      source.textContent = m.length ? "paragraph" + (m.length > 1 ? "s " : " ") + paraField.value : "as it will be saved";
    }

    function clearMarks() {
      for (const p of marked()) { p.classList.remove("marked"); p.setAttribute("aria-pressed", "false"); }
      paraField.value = "";
    }

    function toggle(p) {
      p.classList.toggle("marked");
      p.setAttribute("aria-pressed", p.classList.contains("marked") ? "true" : "false");
      fromMarks();
    }

    async function load() {
      try {
        const data = await getJson("/api/paragraphs/" + entry + q());
        box.textContent = "";
        box.setAttribute("aria-busy", "false");
        if (!data.paragraphs.length) {
          const p = document.createElement("p");
          p.className = "empty";
          p.id = "no-paragraphs";
          p.textContent = "This entry has no text to quote: write the quote yourself.";
          box.appendChild(p);
        }
        for (const para of data.paragraphs) {
          const p = document.createElement("p");
          p.className = "para";
          p.dataset.n = para.n;
          p.id = "para-" + para.n;
          p.tabIndex = 0;
          p.setAttribute("role", "button");
          p.setAttribute("aria-pressed", "false");
          p.textContent = para.text;
          if (data.marked.indexOf(para.n) >= 0) { p.classList.add("marked"); p.setAttribute("aria-pressed", "true"); }
          box.appendChild(p);
        }
        const w = $("#paragraph-warnings");
        if (data.warnings.length) { w.textContent = data.warnings.join(" "); w.hidden = false; }
      } catch (e) {
        box.setAttribute("aria-busy", "false");
        box.textContent = "";
        const p = document.createElement("p");
        p.className = "warnings";
        p.id = "paragraphs-error";
        p.textContent = "Could not load the paragraphs: " + e.message;
        box.appendChild(p);
      }
    }

    box.addEventListener("click", function (ev) {
      const p = ev.target.closest(".para");
      if (!p) return;
      const sel = window.getSelection();
      if (sel && !sel.isCollapsed && p.contains(sel.anchorNode)) return; // selecting words
      toggle(p);
    });
    box.addEventListener("keydown", function (ev) {
      const p = ev.target.closest(".para");
      if (p && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); toggle(p); }
    });

    function selectedInOnePara() {
      const sel = window.getSelection();
      if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
      const a = sel.anchorNode && (sel.anchorNode.nodeType === 1 ? sel.anchorNode : sel.anchorNode.parentElement);
      const f = sel.focusNode && (sel.focusNode.nodeType === 1 ? sel.focusNode : sel.focusNode.parentElement);
      const pa = a && a.closest(".para");
      const pf = f && f.closest(".para");
      if (!pa || pa !== pf || !box.contains(pa)) return null;
      const text = sel.toString().replace(/\s+/g, " ").trim();
      return text ? text : null;
    }
    let lastSelection = null;
    document.addEventListener("selectionchange", function () {
      const s = selectedInOnePara();
      if (s) lastSelection = s;
      quoteSel.disabled = !s && !lastSelection;
    });
    quoteSel.addEventListener("mousedown", function (ev) { ev.preventDefault(); }); // keep the selection
    quoteSel.addEventListener("click", function () {
      const s = selectedInOnePara() || lastSelection;
      if (!s) return;
      clearMarks();
      excerpt.value = s;
      source.textContent = "the selected words";
      lastSelection = null;
      quoteSel.disabled = true;
      excerpt.focus();
    });
    excerpt.addEventListener("input", function () {
      clearMarks();
      source.textContent = "written by hand";
    });

    async function preview() {
      try {
        const data = await getJson("/api/preview/" + entry + q());
        const pv = $("#preview");
        if (data.html) pv.innerHTML = data.html; // the draft pipeline's sanitised HTML
      } catch (e) { /* the preview is a convenience */ }
    }

    function fill(pick) {
      $("#revision").value = pick.revision;
      $("#lead").value = pick.lead;
      $("#note").value = pick.note;
      $("#section").value = pick.section;
      excerpt.value = pick.excerpt;
      paraField.value = "";
      const state = $("#pick-state");
      state.dataset.picked = pick.picked ? "true" : "false";
      state.textContent = pick.picked ? "Picked: item " + pick.position + " of the post." : "Not picked yet: saving picks it.";
      $("#unpick").hidden = !pick.picked;
    }

    $("#pick-form").addEventListener("submit", async function (ev) {
      ev.preventDefault();
      say("Saving…");
      const r = await post("/api/edit-pick", {
        entry: entry,
        revision: $("#revision").value,
        lead: $("#lead").value,
        note: $("#note").value,
        section: $("#section").value,
        excerpt: excerpt.value,
        excerpt_para: paraField.value,
      });
      if (r.ok) {
        fill(r.data.pick);
        say(r.data.message);
        toast(r.data.message);
        preview();
      } else if (r.status === 409 && r.data.fresh) {
        fill(r.data.fresh);
        clearMarks();
        say(r.data.error, "stale");
        toast("Not saved: changed elsewhere. The form now shows what is stored.", true);
      } else {
        say(r.data.error, "failed");
        toast(r.data.error, true);
      }
    });
    $("#unpick").addEventListener("click", async function () {
      const r = await post("/api/unpick", { entry: entry });
      if (!r.ok) { toast(r.data.error, true); return; }
      fill({ revision: 0, lead: "", note: "", section: "", excerpt: "", picked: false, position: 0 });
      clearMarks();
      $("#preview").textContent = "";
      say(r.data.message);
    });

    load();
    if ($("#pick-state").dataset.picked === "true") preview();
  }

  // ---------------------------------------------------------------- post
  function postPage() {
    const list = $("#picks");

    async function refreshDraft() {
      try {
        const data = await getJson("/api/draft" + q());
        $("#draft").innerHTML = data.html; // the draft pipeline's sanitised HTML
        const lint = $("#lint");
        lint.textContent = "";
        lint.classList.toggle("clean", !data.warnings.length);
        if (data.warnings.length) {
          const h = document.createElement("h3");
          h.textContent = data.warnings.length + " to look at";
          const ul = document.createElement("ul");
          for (const w of data.warnings) { const li = document.createElement("li"); li.textContent = w; ul.appendChild(li); }
          lint.append(h, ul);
        } else {
          const p = document.createElement("p");
          p.textContent = "No lint warnings.";
          lint.appendChild(p);
        }
      } catch (e) { toast(e.message, true); }
    }

    function renumber(order) {
      if (order) {
        for (const id of order) {
          const li = document.getElementById("p-" + id);
          if (li) list.appendChild(li);
        }
      }
      $$(".pick", list).forEach(function (li, i) {
        li.dataset.position = i + 1;
        $(".pos", li).textContent = i + 1;
      });
    }

    async function move(entry, position, focusSel) {
      const r = await post("/api/move", { entry: entry, position: position });
      if (!r.ok) { toast(r.data.error, true); return; }
      renumber(r.data.order);
      toast(r.data.message);
      if (focusSel) { const b = $(focusSel); if (b) b.focus(); }
      refreshDraft();
    }

    if (list) {
      list.addEventListener("click", function (ev) {
        const b = ev.target.closest("button[data-action]");
        if (!b) return;
        const li = b.closest(".pick");
        const pos = Number(li.dataset.position);
        const n = $$(".pick", list).length;
        const sel = '#p-' + li.dataset.entryId + ' [data-action="' + b.dataset.action + '"]';
        if (b.dataset.action === "move-up" && pos > 1) move(li.dataset.entryId, pos - 1, sel);
        if (b.dataset.action === "move-down" && pos < n) move(li.dataset.entryId, pos + 1, sel);
      });

      let dragged = null;
      list.addEventListener("dragstart", function (ev) {
        dragged = ev.target.closest(".pick");
        if (!dragged) return;
        dragged.classList.add("dragging");
        ev.dataTransfer.effectAllowed = "move";
        ev.dataTransfer.setData("text/plain", dragged.dataset.entryId);
      });
      function clearMarks() { $$(".drop-before, .drop-after", list).forEach(function (el) { el.classList.remove("drop-before", "drop-after"); }); }
      function where(ev) {
        const li = ev.target.closest(".pick");
        if (!li || li === dragged) return null;
        const box = li.getBoundingClientRect();
        return { li: li, after: ev.clientY > box.top + box.height / 2 };
      }
      list.addEventListener("dragover", function (ev) {
        if (!dragged) return;
        ev.preventDefault();
        ev.dataTransfer.dropEffect = "move";
        clearMarks();
        const w = where(ev);
        if (w) w.li.classList.add(w.after ? "drop-after" : "drop-before");
      });
      list.addEventListener("dragleave", function (ev) { if (!list.contains(ev.relatedTarget)) clearMarks(); });
      list.addEventListener("drop", function (ev) {
        ev.preventDefault();
        clearMarks();
        const w = where(ev);
        if (!dragged || !w) return;
        const items = $$(".pick", list).filter(function (li) { return li !== dragged; });
        let at = items.indexOf(w.li) + (w.after ? 1 : 0);
        move(dragged.dataset.entryId, at + 1);
      });
      list.addEventListener("dragend", function () {
        if (dragged) dragged.classList.remove("dragging");
        dragged = null;
        clearMarks();
      });
    }

    function fillRoundup(r) {
      $("#roundup-revision").value = r.revision;
      $("#title").value = r.title;
      $("#intro").value = r.intro;
      $("#outro").value = r.outro;
      $("#tags").value = r.tags;
      $("#categories").value = r.categories;
    }
    $("#roundup-form").addEventListener("submit", async function (ev) {
      ev.preventDefault();
      const st = $("#roundup-status");
      const r = await post("/api/edit-roundup", {
        revision: $("#roundup-revision").value,
        title: $("#title").value,
        intro: $("#intro").value,
        outro: $("#outro").value,
        tags: $("#tags").value,
        categories: $("#categories").value,
      });
      if (r.ok) {
        fillRoundup(r.data.roundup);
        st.textContent = r.data.message; st.className = "";
        toast(r.data.message);
        refreshDraft();
      } else if (r.status === 409 && r.data.fresh) {
        fillRoundup(r.data.fresh);
        st.textContent = r.data.error; st.className = "stale";
        toast("Not saved: changed elsewhere. The form now shows what is stored.", true);
      } else {
        st.textContent = r.data.error; st.className = "failed";
        toast(r.data.error, true);
      }
    });

    $("#copy-html").addEventListener("click", async function () {
      try {
        const response = await fetch("/draft.html" + q(), { credentials: "same-origin" });
        const text = await response.text();
        if (!response.ok) throw new Error(text);
        if (navigator.clipboard && navigator.clipboard.writeText) {
          await navigator.clipboard.writeText(text);
        } else {
          const ta = document.createElement("textarea");
          ta.value = text; document.body.appendChild(ta); ta.select();
          document.execCommand("copy"); ta.remove();
        }
        toast("The HTML draft is on the clipboard.");
      } catch (e) { toast("Could not copy: " + e.message, true); }
    });

    $("#publish-form").addEventListener("submit", async function (ev) {
      ev.preventDefault();
      const st = $("#publish-status");
      const confirmText = $("#publish-confirm").value.trim();
      if (confirmText !== week) {
        st.textContent = "Type " + week + " to confirm."; st.className = "failed";
        return;
      }
      st.textContent = "Publishing…"; st.className = "";
      const r = await post("/api/publish", { confirm: confirmText });
      st.textContent = r.ok ? r.data.message : r.data.error;
      st.className = r.ok ? "" : "failed";
      toast(st.textContent, !r.ok);
    });

    const pushForm = $("#push-form");
    if (pushForm) pushForm.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      const st = $("#push-status-text");
      st.textContent = "Pushing…"; st.className = "";
      const r = await post("/api/push", {
        status: $("#push-status").value,
        overwrite: $("#push-overwrite").checked ? "1" : "",
      });
      st.textContent = r.ok ? r.data.message : r.data.error;
      st.className = r.ok ? "" : "failed";
      toast(st.textContent, !r.ok);
    });
  }

  // ---------------------------------------------------------------- feeds
  function feedsPage() {
    const button = $("#fetch-now");
    const box = $("#fetch-progress");
    const bar = $("#fetch-bar");
    const text = $("#fetch-text");

    async function watch() {
      try {
        const s = await getJson("/api/fetch");
        box.hidden = false;
        box.dataset.running = s.running ? "true" : "false";
        bar.max = Math.max(1, s.total);
        bar.value = s.done;
        if (s.running) {
          text.textContent = s.done + " of " + s.total + " feeds" + (s.failed ? " · " + s.failed + " failed" : "") + "…";
          setTimeout(watch, 400);
        } else {
          text.textContent = s.message || "Done.";
          button.disabled = false;
          toast(text.textContent);
          setTimeout(function () { location.reload(); }, 1200);
        }
      } catch (e) { text.textContent = e.message; button.disabled = false; }
    }

    button.addEventListener("click", async function () {
      button.disabled = true;
      box.hidden = false;
      text.textContent = "Starting…";
      const r = await post("/api/fetch", {});
      if (!r.ok) { text.textContent = r.data.error; button.disabled = false; toast(r.data.error, true); return; }
      text.textContent = r.data.message;
      watch();
    });
    if (box.dataset.running === "true") watch();
  }

  if (page === "candidates") candidatesPage();
  if (page === "item") itemPage();
  if (page === "post") postPage();
  if (page === "feeds") feedsPage();
})();
