# The seed write-up's multipart `Media` handler (/work/shared/seeds/001_*, "文件上传 multipart/form-data"),
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

        # 上传
        if method == 'POST':
            try:
                for direction in self.request.files:
                    for content in self.request.files[direction]:
                        filename = content['filename']
                        logging.info('direction %s filename %s', direction, filename)
                        abspath = os.path.join(UPLOAD_PATH, direction, filename)
                        abspath.replace('\\', '/')
                        if os.path.exists(abspath):
                            STATUS = ERROR_FILE_EXISTS
                            REASON = 'file %s already exists' % abspath
                            logging.error(REASON)
                            continue

                        parent_direction = os.path.dirname(abspath)
                        if not os.path.exists(parent_direction):
                            logging.info('make direction %s', parent_direction)
                            os.makedirs(parent_direction)

                        logging.info('start recv file %s', abspath)
                        with open(abspath, 'wb') as file:
                            file.write(content['body'])
                        logging.info('finish recv file %s', abspath)

                if not self.request.files:
                    STATUS = ERROR_FILE_EMPTY
                    REASON = 'the upload file is empty'
                    logging.error(REASON)

            except Exception as e:
                exec = traceback.format_exc()
                logging.error(exec)
                STATUS = ERROR_UNKOWN
                REASON = 'internal error! fail to upload'

        elif method == 'DELETE':
            pass
        response = self.create_response(code=STATUS, reason=REASON)
        return response

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
