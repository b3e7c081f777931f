// Pasted error messages are full of characters that the search (lunr, in material's search
// worker) reads as query syntax: a word starting with `-` means "pages without this word",
// `word:` names a field, `\` escapes, and `+`, `~`, `^`, `*` and `"` change how words match.
// A reader pastes text, not syntax, so this turns those characters into spaces before the query
// reaches the worker: `--locked` is searched as `locked`, `astral-sh/uv:0.10.2` as words.
function normaliseSearchQuery(query) {
  return query.replace(/[-:+~^*"\\]+/g, " ").replace(/\s+/g, " ").trim();
}

// material sends each query to its search worker as {type: 2 (QUERY), data: "..."}.
if (typeof Worker !== "undefined") {
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message, ...rest) {
    if (message && message.type === 2 && typeof message.data === "string") {
      message = { ...message, data: normaliseSearchQuery(message.data) };
    }
    return post.call(this, message, ...rest);
  };
}
