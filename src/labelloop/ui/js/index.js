// The bundle's entry: anywidget takes the default export; the web page
// imports { mountPage } (or { connect } for its own layout).
export { default } from "./widget.js";
export { connect, mountPage, SocketModel } from "./host.js";
