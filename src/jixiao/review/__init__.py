"""The review pages: reviewers confirm, correct or reject every fact beside its
source (`jixiao review`).

`actions` changes the store (every change with a `Review` row, guarded by the
fact's version), `views` reads it into what the pages show, `app` serves them.
"""
