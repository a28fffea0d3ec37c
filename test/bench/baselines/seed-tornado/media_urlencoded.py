# The seed write-up's urlencoded `Media` handler (/work/shared/seeds/001_*, "另一种表单方式 application/x-www-form-urlencoded"),
# copied as written: only these two lines are added. Run by main.py; do not tidy it (it is the baseline).
#!/usr/bin/env python
# -*- coding:utf-8 -*-

import os
import uuid
import logging
import traceback
import tornado.httpclient
import tornado.web
from tornado.concurrent import run_on_executor
from concurrent.futures import ThreadPoolExecutor
from conf.settings import UPLOAD_PATH


ORIGINAL_STATUS = 200
ERROR_UNKOWN = 500
ERROR_FILE_EXISTS = 501
ERROR_FILE_EMPTY = 502
ERROR_MISS_ARGUMENT = 503
ERROR_FILE_FORMAT_NOT_SUPPORTED = 504


class Media(tornado.web.RequestHandler):
    """所有请求处理入口"""
    executor = ThreadPoolExecutor(5)  # 启动5个线程处理阻塞请求

    def __init__(self, application, request):
        tornado.web.RequestHandler.__init__(self, application, request)

    @run_on_executor
    def post(self, *args, **kwargs):
        result = self.execute('POST', *args)
        self.write(result)

    @run_on_executor
    def delete(self, *args, **kwargs):
        logging.info(self.request.arguments)
        result = self.execute('DELETE', *args)
        self.write(result)

    def execute(self, method, *args):
        '''
        上传,删除文件
        :param method:
        :param args:
        :return:
        '''
        STATUS = ORIGINAL_STATUS
        REASON = 'OK'
        try:
            # 上传
            if method == 'POST':
                    directory = self.get_argument('directory',None)
                    filename = self.get_argument('filename',None)
                    body = self.request.arguments['body']
                    logging.info('post directory %s filename %s',directory,filename)
                    if not directory or not filename:
                        STATUS = ERROR_MISS_ARGUMENT
                        REASON = 'miss argument directory %s filename %s' %\
                                 (directory,filename)
                        logging.error(REASON)
                        return self.create_response(code=STATUS, reason=REASON)

                    if not body:
                        STATUS = ERROR_MISS_ARGUMENT
                        REASON = 'miss argument body %s' %\
                                 (body[0])
                        logging.error(REASON)
                        return self.create_response(code=STATUS, reason=REASON)

                    abspath = os.path.join(UPLOAD_PATH, directory, filename)
                    abspath = abspath.replace('\\', '/')
                    if os.path.exists(abspath):
                        STATUS = ERROR_FILE_EXISTS
                        REASON = 'file %s already exists' % abspath
                        logging.error(REASON)
                        return self.create_response(code=STATUS, reason=REASON)

                    _,extension = os.path.splitext(filename)
                    if extension not in ('.mp3','.wav'):
                        STATUS = ERROR_FILE_FORMAT_NOT_SUPPORTED
                        REASON = 'file fromat %s not supported' % extension
                        logging.error(REASON)
                        return self.create_response(code=STATUS, reason=REASON)

                    parent_direction = os.path.dirname(abspath)
                    if not os.path.exists(parent_direction):
                        logging.info('make direction %s', parent_direction)
                        os.makedirs(parent_direction)
                    logging.info('start recv file %s', abspath)
                    with open(abspath, 'wb') as file:
                        file.write(body[0])
                    logging.info('finish recv file %s', abspath)

            elif method == 'DELETE':
                directory = self.get_argument('directory', None)
                filename = self.get_argument('filename', None)
                logging.info('delete directory %s filename %s', directory, filename)
                if not directory or not filename:
                    STATUS = ERROR_MISS_ARGUMENT
                    REASON = 'miss argument directory %s filename %s' % \
                             (directory, filename)
                    logging.error(REASON)
                    return self.create_response(code=STATUS, reason=REASON)

                abspath = os.path.join(UPLOAD_PATH, directory, filename)
                abspath = abspath.replace('\\', '/')
                if os.path.exists(abspath):
                    logging.info('remove file %s',abspath)
                    os.remove(abspath)

        except Exception as e:
            exec = traceback.format_exc()
            logging.error(exec)
            STATUS = ERROR_UNKOWN
            REASON = 'internal error!'

        return self.create_response(code=STATUS, reason=REASON)

    def create_response(self, code, reason):
        '''
        发送回复信息
        :param code:
        :param reason:
        :param callid:
        :return:
        '''
        data = {
            'code': code,
            'reason': reason,
        }
        return data
