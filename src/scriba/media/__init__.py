"""Reading documents: what a file is (``intake``), PDF pages and their text layer (``pdf``),
pictures (``image_input`` for image files, ``pdf_pictures`` for the pictures inside a PDF,
``labeling`` for encoding one within a labeling service's limits, ``colour`` for what they share),
sentences (``sentences``) and request-sized chunks and token estimates (``chunking``).

Pure routines over bytes, pixels and text; no service calls. pdfium and Pillow are the only
heavy dependencies, so the extract and tag functions carry them and the others do not.
"""
