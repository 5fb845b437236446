"""Petitions (小微企业涉税诉求和意见): the quick-response mechanism of 税总函〔2019〕40号.

A petition is registered (受理登记), handed to the service department within 1 working day,
assigned to one or more handling departments that finish within 5 working days (an extension
with a reason, approved by a supervisor — by a director for joint handling — up to 10 in all),
resolved, fed back to the enterprise within 1 working day, visited and closed. Every change is
appended to the ledger (PetitionEvent).

Modules: ``constants`` (categories, channels, statuses), ``timing`` (UTC columns, clocks and
their SQL form), ``models``, ``tickets`` (SQ-YYYYMMDD-NNNN numbering), ``lifecycle`` (allowed
transitions and the ledger), ``schemas``, ``intake`` (registration), ``service`` (the transitions) and
``extensions`` (延期申请与审批). Services take ``session=`` and never commit.
"""
