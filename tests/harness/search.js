// Run mkdocs-material's own search worker over a built site's search index, outside a browser.
// usage: node search.js <site dir> [script ...], one query per line on stdin; prints one JSON list
// of result groups per query: for each page found (best first), the locations of its matching
// parts (best first), as the search box lists them. Each script (a path inside the site: what
// mkdocs.yml's extra_javascript adds to every page) runs first, as on the page, and sees the
// queries on their way to the worker. tests/test_site.py runs this with the Node 22 of .tools/.
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const [site, ...scripts] = process.argv.slice(2);
const workers = path.join(site, "assets", "javascripts", "workers");
const worker = fs.readdirSync(workers).find((f) => /^search\..*\.min\.js$/.test(f));
let handler = null;
let reply = null;
globalThis.self = globalThis;
globalThis.addEventListener = (type, fn) => { if (type === "message") handler = fn; };
globalThis.postMessage = (message) => reply(message);
globalThis.importScripts = () => {};
vm.runInThisContext(fs.readFileSync(path.join(workers, worker), "utf8"));

// The page's side of the worker: material posts each message to a Worker object.
globalThis.Worker = class { postMessage(message) { handler({ data: message }); } };
for (const script of scripts) vm.runInThisContext(fs.readFileSync(path.join(site, script), "utf8"));
const page = new Worker();
const send = (message) => new Promise((resolve) => { reply = resolve; page.postMessage(message); });

(async () => {
  const index = JSON.parse(fs.readFileSync(path.join(site, "search", "search_index.json"), "utf8"));
  await send({ type: 0, data: { ...index, options: { suggest: false } } });
  const queries = fs.readFileSync(0, "utf8").split("\n").filter((q) => q.length);
  for (const query of queries) {
    const answer = await send({ type: 2, data: query });
    process.stdout.write(JSON.stringify(answer.data.items.map((group) => group.map((doc) => doc.location))) + "\n");
  }
})();
