import express, { type Router } from 'express';
import { pageAssets, pageDirectory, pageIndex } from '../static-page.ts';

const chatPage = pageDirectory('chat/page');

/** GET /chat: the chat page and its assets, mounted at /chat. */
export function chatRoutes(): Router {
  const router = express.Router();
  router.get('/', pageIndex(chatPage));
  router.use(pageAssets(chatPage));
  return router;
}
