/** The training worker: the Trainer, reached from the page through Comlink. */
import * as Comlink from 'comlink';
import { Trainer } from './trainer.js';

Comlink.expose(new Trainer());
