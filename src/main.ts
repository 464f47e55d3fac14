#!/usr/bin/env node
import { runHourglass } from "./server.js";

runHourglass(process.env);
