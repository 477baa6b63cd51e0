"""Multi-objective studies (issue 15): problems as data (:mod:`hwnas.studies.problem`), hypervolume scoring of runs
(:mod:`hwnas.studies.scoring`) and suites of many (algorithm, seed) searches on one problem
(:mod:`hwnas.studies.suite`). Above the search loop, below reports and the CLI."""
