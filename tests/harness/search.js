// Run mkdocs-material's own search worker over a built site's search index, outside a browser.
// usage: node search.js <site dir>, one query per line on stdin; prints one JSON list of result
// locations (best first) per query. tests/test_site.py runs it with the Node 22 of .tools/.
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const site = process.argv[2];
const workers = path.join(site, "assets", "javascripts", "workers");
const worker = fs.readdirSync(workers).find((f) => /^search\..*\.min\.js$/.test(f));
let handler = null;
let reply = null;
globalThis.self = globalThis;
globalThis.addEventListener = (type, fn) => { if (type === "message") handler = fn; };
globalThis.postMessage = (message) => reply(message);
globalThis.importScripts = () => {};
vm.runInThisContext(fs.readFileSync(path.join(workers, worker), "utf8"));
const send = (message) => new Promise((resolve) => { reply = resolve; handler({ data: message }); });

(async () => {
  const index = JSON.parse(fs.readFileSync(path.join(site, "search", "search_index.json"), "utf8"));
  await send({ type: 0, data: { ...index, options: { suggest: false } } });
  const queries = fs.readFileSync(0, "utf8").split("\n").filter((q) => q.length);
  for (const query of queries) {
    const answer = await send({ type: 2, data: query });
    process.stdout.write(JSON.stringify(answer.data.items.map((item) => item.location ?? item[0]?.location)) + "\n");
  }
})();
