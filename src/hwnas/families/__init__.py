"""One module per space family (``hat``, ``gpt``, ``nb201``, ``fbnet``): the one reader of the family's genes, its
analytic counts, its measurement protocol, its collected-dataset columns and its graph encoding, each module
exporting ``FAMILY`` (a :class:`hwnas.contracts.family.SpaceFamily`).

Find a family through :data:`hwnas.contracts.family.FAMILIES` (``family_of(space)``), not by importing it: the
registry names these modules lazily, so the layers below (metrics, encodings, models, hardware) reach them without
an import. Importing a family does not import torch; its protocol imports torch when it builds a model.
"""
