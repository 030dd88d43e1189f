"""Helpers shared by the test suites (not tests themselves): real files, real connections.

``data`` the bundled sample and the earlier database; ``db`` second connections on a file
(what a test asserts is what was committed); ``hearings`` library runs of the updater and
the hearings tables; ``cli`` the command line in-process and as a real process;
``http_api`` a fake Congress.gov API answering in process (``httpx.MockTransport``) or
behind a real local HTTP server (``api_server``), from one routing core (its replies in
``api_replies``, its payloads in ``api_shapes``); ``live_shape``
payloads in the documented live shape; ``core``, ``processor``, ``generic_schema``,
``reliability``, ``revert`` the schemas, records and oracles of those suites.

``tests`` is importable because pytest's ``pythonpath = ["."]`` puts the repository on
``sys.path``; a child process gets it through ``PYTHONPATH`` (:func:`tests.support.cli.cli_env`).
"""
