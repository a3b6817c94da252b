// Runs in every test file: the temp projects a file made are removed when its tests end, even
// those a failing test did not get to remove itself.
import { afterAll } from "vitest";
import { cleanupProjects } from "./project.js";

afterAll(cleanupProjects);
