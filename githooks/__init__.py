"""The git hook shim templates, shipped as this package's data (not Python code).

`reference-transaction`, `post-receive` and `pre-receive` here are the sh scripts that
`gt hooks install` renders into a repository's hooks directory (`gt.githooks.render`, which
reads them with importlib.resources, so they are found however gastown-py was installed).
"""
