"""The approval workflow: one Logic App that turns a validated, approved request into a JIT `initiate`.

`component` builds the resources; `definition` assembles the workflow from `request` (the two triggers),
`validation` (the one specification of a valid request), `decision` (the approval e-mail and its answer) and
`audit` (the decision record); `language` writes workflow-language expressions safely.
"""
