import { demo } from "./worker";

demo("worker-3");
