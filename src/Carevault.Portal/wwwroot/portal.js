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
