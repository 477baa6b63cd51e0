"""The contracts every component is written against, apart from any implementation: one small file each
(evaluator, searcher, record, predictor, executor, family), the component options model, and the one registry
type that maps a name to an implementation. This package imports only :mod:`hwnas.core` (and pydantic for
options), so any layer may depend on it and it depends on none of them (docs/architecture.md).

Import from the submodules (``from hwnas.contracts.registry import Registry``); this file re-exports nothing.
"""
