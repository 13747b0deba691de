"""The labelling front-end: one ES module, shown as a notebook widget and as a web page."""
