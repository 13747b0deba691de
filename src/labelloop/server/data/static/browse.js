// @ts-check
// The browse page: a table of one project's data with filters, facets, sorting,
// keyset paging and (for admins) "label these". It only calls the JSON API next
// to it and writes every value with textContent, so stored text stays text.

/**
 * @typedef {{name: string, type: string, doc: string}} ColumnInfo
 * @typedef {{name: string, doc: string, columns: ColumnInfo[]}} TableInfo
 * @typedef {{project: string, tables: TableInfo[], operators: string[], admin: boolean}} Config
 * @typedef {{value: any, count: number, selected: boolean}} FacetValue
 * @typedef {{values: FacetValue[], truncated: boolean, timed_out: boolean}} FacetResult
 */

const config = /** @type {Config} */ (
  JSON.parse(/** @type {HTMLElement} */ (document.getElementById("browse-config")).textContent || "{}")
);
const TABLE_KEY = "_table";
const PAGE_KEYS = ["_next"];

/** @param {string} id */
function $(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/**
 * Create an element with text and attributes (never HTML).
 * @param {string} tag
 * @param {string} [text]
 * @param {Record<string, string>} [attrs]
 */
function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  return node;
}

/** The page's own query: table name plus the API query string. */
function current() {
  const params = new URLSearchParams(location.search);
  const table = params.get(TABLE_KEY) || config.tables[0].name;
  params.delete(TABLE_KEY);
  return { table, params };
}

/**
 * Navigate to a new state of the page (kept in the address bar).
 * @param {string} table
 * @param {URLSearchParams} params
 */
function go(table, params) {
  const next = new URLSearchParams(params);
  next.set(TABLE_KEY, table);
  history.pushState(null, "", `?${next}`);
  load();
}

/** @param {string} table */
function tableInfo(table) {
  return config.tables.find((t) => t.name === table) || config.tables[0];
}

/** @param {any} value */
function shown(value) {
  if (value === null || value === undefined) return "∅";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** @param {any} value */
function asParam(value) {
  if (value === true) return "1";
  if (value === false) return "0";
  return String(value);
}

async function load() {
  const { table, params } = current();
  const api = new URL(`${encodeURIComponent(table)}.json`, location.href);
  api.search = params.toString();
  renderChrome(table, params);
  $("status").textContent = "Loading…";
  const response = await fetch(api, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) {
    $("status").textContent = `Error ${response.status}: ${body.error || response.statusText}`;
    return;
  }
  $("status").textContent = "";
  renderCount(body);
  renderFacets(table, params, body.facets || {});
  renderRows(table, params, body);
  renderPager(table, params, body.next);
  renderExports(table, params);
}

/**
 * @param {string} table
 * @param {URLSearchParams} params
 */
function renderChrome(table, params) {
  const picker = /** @type {HTMLSelectElement} */ ($("table"));
  if (!picker.options.length) {
    for (const t of config.tables) picker.append(el("option", t.name, { value: t.name }));
    picker.addEventListener("change", () => go(picker.value, new URLSearchParams()));
  }
  picker.value = table;
  $("table-doc").textContent = tableInfo(table).doc;
  renderFilters(table, params);
  renderFilterForm(table, params);
}

/**
 * @param {string} table
 * @param {URLSearchParams} params
 */
function renderFilters(table, params) {
  const list = $("filters");
  list.replaceChildren();
  for (const [key, value] of params) {
    if (key.startsWith("_")) continue;
    const item = el("li");
    item.append(el("code", `${key} = ${value}`), " ");
    const remove = el("button", "×", { type: "button", title: "remove this filter" });
    remove.addEventListener("click", () => {
      const next = new URLSearchParams([...params].filter(([k, v]) => !(k === key && v === value)));
      PAGE_KEYS.forEach((k) => next.delete(k));
      go(table, next);
    });
    item.append(remove);
    list.append(item);
  }
}

/**
 * @param {string} table
 * @param {URLSearchParams} params
 */
function renderFilterForm(table, params) {
  const column = /** @type {HTMLSelectElement} */ ($("filter-column"));
  const facet = /** @type {HTMLSelectElement} */ ($("facet-column"));
  const names = tableInfo(table).columns.map((c) => c.name);
  for (const select of [column, facet]) {
    select.replaceChildren(...names.map((n) => el("option", n, { value: n })));
  }
  const op = /** @type {HTMLSelectElement} */ ($("filter-op"));
  if (!op.options.length) op.append(...config.operators.map((o) => el("option", o, { value: o })));
  const form = /** @type {HTMLFormElement} */ ($("filter-form"));
  form.onsubmit = (event) => {
    event.preventDefault();
    const value = /** @type {HTMLInputElement} */ ($("filter-value")).value;
    const next = new URLSearchParams(params);
    PAGE_KEYS.forEach((k) => next.delete(k));
    next.append(`${column.value}__${op.value}`, value);
    go(table, next);
  };
  const facetForm = /** @type {HTMLFormElement} */ ($("facet-form"));
  facetForm.onsubmit = (event) => {
    event.preventDefault();
    const next = new URLSearchParams(params);
    if (!next.getAll("_facet").includes(facet.value)) next.append("_facet", facet.value);
    go(table, next);
  };
}

/** @param {{count: number|null, count_is_estimate: boolean}} body */
function renderCount(body) {
  if (body.count === null || body.count === undefined) {
    $("count").textContent = "";
    return;
  }
  const n = body.count.toLocaleString();
  $("count").textContent = body.count_is_estimate ? `about ${n} rows (estimate)` : `${n} rows`;
}

/**
 * @param {string} table
 * @param {URLSearchParams} params
 * @param {Record<string, FacetResult>} facets
 */
function renderFacets(table, params, facets) {
  const box = $("facets");
  box.replaceChildren();
  for (const [column, facet] of Object.entries(facets)) {
    const section = el("section", undefined, { class: "facet" });
    const title = el("h3", column);
    const close = el("button", "×", { type: "button", title: "hide this facet" });
    close.addEventListener("click", () => {
      const next = new URLSearchParams([...params].filter(([k, v]) => !(k === "_facet" && v === column)));
      go(table, next);
    });
    title.append(" ", close);
    section.append(title);
    if (facet.timed_out) section.append(el("p", "timed out: add a filter to narrow it", { class: "warn" }));
    const list = el("ul");
    for (const value of facet.values) list.append(facetItem(table, params, column, value));
    section.append(list);
    if (facet.truncated) section.append(el("p", "… more values", { class: "muted" }));
    box.append(section);
  }
}

/**
 * @param {string} table
 * @param {URLSearchParams} params
 * @param {string} column
 * @param {FacetValue} value
 */
function facetItem(table, params, column, value) {
  const item = el("li");
  const link = el("a", shown(value.value), { href: "#" });
  if (value.selected) link.classList.add("selected");
  link.addEventListener("click", (event) => {
    event.preventDefault();
    const isNull = value.value === null;
    const key = isNull ? `${column}__isnull` : `${column}__exact`;
    const text = isNull ? "1" : asParam(value.value);
    const keep = [...params].filter(([k, v]) => !((k === key || k === column) && v === text));
    const next = new URLSearchParams(keep);
    PAGE_KEYS.forEach((k) => next.delete(k));
    if (!value.selected) next.append(key, text);
    go(table, next);
  });
  item.append(link, " ", el("span", value.count.toLocaleString(), { class: "muted" }));
  return item;
}

/**
 * @param {string} table
 * @param {URLSearchParams} params
 * @param {{columns: string[], rows: Record<string, any>[], sort: string, sort_desc: boolean}} body
 */
function renderRows(table, params, body) {
  const head = el("tr");
  for (const column of body.columns) {
    const mark = body.sort === column ? (body.sort_desc ? " ▼" : " ▲") : "";
    const th = el("th");
    const link = el("a", column + mark, { href: "#", title: "sort by this column" });
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const next = new URLSearchParams(params);
      ["_sort", "_sort_desc", ...PAGE_KEYS].forEach((k) => next.delete(k));
      next.set(body.sort === column && !body.sort_desc ? "_sort_desc" : "_sort", column);
      go(table, next);
    });
    th.append(link);
    head.append(th);
  }
  const rows = body.rows.map((row) => {
    const tr = el("tr");
    for (const column of body.columns) tr.append(el("td", shown(row[column])));
    return tr;
  });
  $("rows").replaceChildren(el("thead"), el("tbody"));
  /** @type {HTMLElement} */ ($("rows").firstChild).append(head);
  /** @type {HTMLElement} */ ($("rows").lastChild).append(...rows);
}

/**
 * @param {string} table
 * @param {URLSearchParams} params
 * @param {string|null} token
 */
function renderPager(table, params, token) {
  const pager = $("pager");
  pager.replaceChildren();
  if (params.has("_next")) {
    const first = el("button", "First page", { type: "button" });
    first.addEventListener("click", () => {
      const next = new URLSearchParams(params);
      next.delete("_next");
      go(table, next);
    });
    pager.append(first);
  }
  if (token) {
    const more = el("button", "Next page", { type: "button", id: "next-page" });
    more.addEventListener("click", () => {
      const next = new URLSearchParams(params);
      next.set("_next", token);
      go(table, next);
    });
    pager.append(more);
  }
}

/**
 * @param {string} table
 * @param {URLSearchParams} params
 */
function renderExports(table, params) {
  const box = $("exports");
  box.replaceChildren(el("span", "Export: "));
  const plain = new URLSearchParams([...params].filter(([k]) => !k.startsWith("_") || k === "_sort" || k === "_sort_desc" || k === "_col"));
  const links = [
    ["CSV (all rows)", "csv", "_stream=1"],
    ["NDJSON", "ndjson", ""],
    ["Parquet", "parquet", ""],
  ];
  for (const [label, format, extra] of links) {
    const query = [plain.toString(), extra].filter(Boolean).join("&");
    const url = `${encodeURIComponent(table)}.${format}${query ? `?${query}` : ""}`;
    box.append(el("a", label, { href: url }), " ");
  }
}

/** The CSRF cookie the app sets; POSTs must echo it in a header. */
function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "labelloop_csrf") return decodeURIComponent(rest.join("="));
  }
  return "";
}

async function labelThese() {
  const { table, params } = current();
  const query = new URLSearchParams([...params].filter(([k]) => k !== "_next" && k !== "_facet"));
  const response = await fetch("label-these", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify({ table, query: query.toString() }),
  });
  const body = await response.json();
  $("action-result").textContent = response.ok
    ? `${body.items.toLocaleString()} items moved to the front of the queue`
    : `Refused (${response.status}): ${body.error || body.detail || response.statusText}`;
}

const labelButton = document.getElementById("label-these");
if (labelButton) labelButton.addEventListener("click", labelThese);
window.addEventListener("popstate", load);
load();
