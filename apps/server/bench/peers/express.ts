/** Peer: Express 5 + mongoose, the lookup as an Express tutorial would write it. */
import express from "express";
import { authorized, connect, findUser, isObjectId, shutdown } from "./model";

await connect();
const app = express();
app.disable("x-powered-by");
app.get("/api/users/health/live", (_req, res) => {
  res.json({ status: "ok" });
});
app.get("/api/users/id", async (req, res) => {
  if (!authorized(req.get("authorization"))) {
    res.status(401).json({ message: "invalid API key" });
    return;
  }
  const id = req.query.id;
  if (!isObjectId(id)) {
    res.status(400).json({ message: "id must be an ObjectId" });
    return;
  }
  const user = await findUser(id);
  if (!user) {
    res.status(404).json({ message: "user not found" });
    return;
  }
  res.json(user);
});
const server = app.listen(Number(process.env.PORT), "127.0.0.1", () =>
  process.stdout.write("express listening\n"),
);
process.on("SIGTERM", () => server.close(() => void shutdown().then(() => process.exit(0))));
