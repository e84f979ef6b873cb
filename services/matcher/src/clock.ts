import { Injectable } from '@nestjs/common';

/** The matcher's notion of now (sighting quiet time, throttles, retention), replaceable in tests. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
