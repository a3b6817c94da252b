// Types for the development dependencies that ship none, as far as the tests and scripts use them.

declare module "@bcoe/v8-coverage" {
  /** V8's coverage format (the JSON NODE_V8_COVERAGE writes). */
  export interface RangeCov {
    startOffset: number;
    endOffset: number;
    count: number;
  }
  export interface FunctionCov {
    functionName: string;
    ranges: RangeCov[];
    isBlockCoverage: boolean;
  }
  export interface ScriptCov {
    scriptId: string;
    url: string;
    functions: FunctionCov[];
  }
  export interface ProcessCov {
    result: ScriptCov[];
  }
  export function mergeProcessCovs(processCovs: readonly ProcessCov[]): ProcessCov;
}

declare module "parse-prometheus-text-format" {
  /** The metric families of a Prometheus text exposition; each test states the shape it reads. */
  export default function parsePrometheusTextFormat(text: string): unknown;
}
