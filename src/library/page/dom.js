// Building elements without HTML parsing: every name from the service goes in as a text node, so
// a file called `<img src=x onerror=alert(1)>.mp3` is only ever text.

/** `<tag class="className">` holding `content`: a string (as text) or a list of nodes and strings. */
export function element(tag, className, content) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (typeof content === 'string') node.textContent = content;
  else if (Array.isArray(content)) node.append(...content);
  return node;
}
