/** Worker entry of {@link TrafficGenerator}: sends the load its options (the worker data) describe, and says when it finished. */
import { workerData } from 'node:worker_threads';
import { SimWorkerPort } from './sim-worker.js';
import { TrafficLoop, type TrafficCommand, type TrafficEvent, type TrafficOptions } from './traffic.js';

const loop = new TrafficLoop(workerData as TrafficOptions);
// The one command is stop.
const port = new SimWorkerPort<TrafficCommand, TrafficEvent>(() => loop.stop());
void loop.finished().then((totals) => {
  port.emit({ kind: 'finished', totals });
});
