"""What scriba's results are: the models of the files it writes and the events it publishes.

Every model here is pydantic and its JSON Schema is published in ``schemas/``: the extracted text
(``text``), the picture labels (``tags``), the summary, the translations, the narrations and the
manifest that lists them all (``manifest``), and the event consumers receive (``event``).
"""
