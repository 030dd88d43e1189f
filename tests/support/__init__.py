"""Helpers shared by the test suites (not tests themselves): real files, real connections.

``data`` the bundled sample and the earlier database; ``db`` second connections on a file
(what a test asserts is what was committed); ``hearings`` library runs of the updater and
the hearings tables; ``cli`` the command line in-process and as a real process;
``http_api`` a real local HTTP server that answers like Congress.gov; ``live_shape``
payloads in the documented live shape; ``core``, ``processor``, ``generic_schema``,
``reliability``, ``revert`` the schemas, records and oracles of those suites.

``tests`` is importable because pytest's ``pythonpath = ["."]`` puts the repository on
``sys.path``; a child process gets it through ``PYTHONPATH`` (:func:`tests.support.cli.cli_env`).
"""
