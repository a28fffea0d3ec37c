"""
Runs the seed service's own upload handler as a bench baseline (issue 15): the Tornado `Media`
handler of the seed write-up, copied as written into media_multipart.py and media_urlencoded.py,
mounted at /media in a single-process Tornado server started the way the write-up starts its
examples (Application, HTTPServer, IOLoop), logging at WARNING. The write-up shows no Application
for `Media`; the route /media is the one the service keeps. Files go under UPLOAD_PATH (env).

Usage: UPLOAD_PATH=<root> /usr/bin/python3 main.py <multipart|urlencoded>
Listens on a free loopback port chosen by the kernel and prints `listening <port>`.
"""
import importlib
import logging
import sys

import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import tornado.web

if len(sys.argv) != 2 or sys.argv[1] not in ('multipart', 'urlencoded'):
    sys.exit('usage: UPLOAD_PATH=<root> main.py <multipart|urlencoded>')

logging.basicConfig(level=logging.WARNING)
Media = importlib.import_module('media_' + sys.argv[1]).Media

app = tornado.web.Application(handlers=[(r"/media", Media)])
http_server = tornado.httpserver.HTTPServer(app)
sockets = tornado.netutil.bind_sockets(0, '127.0.0.1')
http_server.add_sockets(sockets)
print('listening %d' % sockets[0].getsockname()[1], flush=True)
tornado.ioloop.IOLoop.current().start()
