// Parse Mermaid diagrams with Mermaid's own parser, headless in Node.
// stdin: a JSON array of diagram sources; stdout: a JSON array of {ok, type, error}.
// mermaid.parse needs a DOM (DOMPurify sanitises labels), so jsdom provides window and document.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ["Element", "HTMLElement", "Node", "DocumentFragment", "DOMParser"]) {
  globalThis[name] = dom.window[name];
}

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const source of JSON.parse(input)) {
  try {
    const parsed = await mermaid.parse(source);
    results.push({ ok: true, type: parsed.diagramType, error: null });
  } catch (err) {
    results.push({ ok: false, type: null, error: String(err && err.message ? err.message : err) });
  }
}
process.stdout.write(JSON.stringify(results));
