"""The server's processes: granian and the main process's preparation thread, child processes
that die with their parent, what one worker keeps between requests (its engines), the guard on
its connections, and what all processes of one server share.

May import every other folder except the web layer's blueprints, which it only starts
(``web.app.create_app``).
"""
