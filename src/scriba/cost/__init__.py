"""The cost ledger of a document: what it used and what that costs (or would cost) on AWS.

- ``units``: the billable items engines report (``Billed``), in the price table's terms;
- ``metering``: a document's units, from its stages' results and its execution history;
- ``ledger``: the dated price table (``prices/aws.json``), the ledger of one document and the
  sum of a run.

A document run on the local engines is priced as if it had run on AWS with the same settings:
its ledger then says ``estimated``.
"""
