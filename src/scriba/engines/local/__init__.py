"""Offline engines: everything runs on this machine, weights ship inside packages.

Tesseract (``tesseract``), EfficientNet-Lite0 and OpenCV (``labels``), LexRank (``lexrank``),
Apertium (``apertium``), Piper and espeak-ng (``speech``), lingua (``lingua``). Heavy imports
(torch, onnxruntime, tesserocr) happen when ``scriba.engines.BACKENDS`` builds an engine, so that
importing ``scriba`` stays cheap and the Lambda packages never need them.
"""
