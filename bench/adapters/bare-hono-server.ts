import { Hono } from "hono";
import { serveFrontEnd } from "./front-end.js";

/** The HTTP-stack ceiling: Hono on @hono/node-server that reads the body and answers JSON. */
const app = new Hono();
let next = 0;
app.post("/schedule", async (c) => {
  const body = await c.req.arrayBuffer();
  next += 1;
  return c.json({ triggerId: String(next), scheduledAt: new Date().toISOString(), bytes: body.byteLength });
});
serveFrontEnd(app, async () => {});
