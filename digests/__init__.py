"""The weekly digest e-mailed to the review team, and alerts to the maintainer.

``content`` reads what to say from the store, ``render`` (+ ``chart``, ``templates/``) turns it
into a MIME message, ``smtp`` delivers it, ``outbox`` keeps it on disk until it is delivered,
``service`` ties these together as the digest job, ``alerts`` mails the maintainer.
"""
