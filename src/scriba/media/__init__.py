"""Reading documents: what a file is (``intake``), PDF pages and their text layer (``pdf``),
pictures (``images``), sentences (``sentences``) and request-sized chunks (``chunking``).

Pure routines over bytes, pixels and text; no service calls. pdfium and Pillow are the only
heavy dependencies, so the extract and tag functions carry them and the others do not.
"""
