// Carevault portal: the loading indicator. A form post that takes longer than 200 ms shows "Working…" (announced to
// screen readers through role=status) and marks the form busy; a second click on its button is ignored meanwhile.
(() => {
    const indicator = () => document.querySelector(".loading");
    document.addEventListener("submit", (event) => {
        const form = event.target;
        if (!(form instanceof HTMLFormElement)) return;
        if (form.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
        form.setAttribute("aria-busy", "true");
        setTimeout(() => { const box = indicator(); if (box && form.isConnected && form.getAttribute("aria-busy") === "true") box.hidden = false; }, 200);
    });
    // Back/forward cache: a page restored from history is not busy.
    window.addEventListener("pageshow", () => {
        document.querySelectorAll("form[aria-busy]").forEach((f) => f.removeAttribute("aria-busy"));
        const box = indicator(); if (box) box.hidden = true;
    });
})();

// Live notices (decision 0021): a section with data-live-source keeps its list of open blood requests current from
// the server's event stream and announces each change in its live region (role=status). Text only (textContent);
// without script, or without EventSource, the list is as of the page's load.
(() => {
    const section = document.querySelector("[data-live-source]");
    if (!section || !("EventSource" in window)) return;
    const list = section.querySelector("[data-live-list]");
    const empty = section.querySelector("[data-live-empty]");
    const announce = section.querySelector("[data-live-announce]");
    const source = new EventSource(section.getAttribute("data-live-source"));
    // Connected (the server subscribes before it answers): tests wait for this; the browser reconnects by itself.
    source.addEventListener("open", () => section.setAttribute("data-live-state", "open"));
    source.addEventListener("error", () => section.setAttribute("data-live-state", "reconnecting"));
    source.addEventListener("blood-request", (event) => {
        let notice;
        try { notice = JSON.parse(event.data); } catch { return; }
        if (!notice || typeof notice.id !== "string" || typeof notice.text !== "string") return;
        const existing = list ? Array.from(list.children).find((item) => item.dataset.id === notice.id) : undefined;
        if (notice.action === "opened") {
            if (list && !existing) {
                const item = document.createElement("li");
                item.dataset.id = notice.id;
                item.className = notice.urgency === "stat" || notice.urgency === "asap" ? "urgent live-new" : "live-new";
                // On the requests page the answers are forms that need the page's token: reloading brings them.
                item.textContent = notice.text + (list.closest("form") ? " (new: reload the page to answer)" : "");
                list.prepend(item);
            }
            if (announce) announce.textContent = "New blood request: " + notice.text + ".";
        } else if (notice.action === "closed") {
            if (existing) existing.remove();
            if (announce) announce.textContent = "Blood request closed: " + notice.text + ".";
        }
        if (empty && list) empty.hidden = list.children.length > 0;
    });
})();
