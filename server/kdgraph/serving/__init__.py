"""The server's processes: granian and the main process's preparation thread,
what one worker keeps between requests (its engines and its answer cache), the guard on
its connections, and what all processes of one server share.

May import every other folder except the web layer's blueprints, which it only starts
(``web.app.create_app``).
"""
