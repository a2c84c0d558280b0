/// <reference lib="webworker" />
/** The import decoder's thread (see importDecoding.ts): no tfjs, only image decoding. */
import * as Comlink from 'comlink';
import { decodeWorkerApi } from './importDecoding';

Comlink.expose(decodeWorkerApi);
