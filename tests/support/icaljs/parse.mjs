// Reads .ics files with ical.js (Mozilla's parser, independent of Python's icalendar) and
// prints what a calendar app would take from each: method, UID, SEQUENCE, times, status.
// Usage: node parse.mjs FILE... ; prints one JSON array. A file it can't read fails loudly.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const read = (path) => {
  const calendar = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));
  return {
    method: calendar.getFirstPropertyValue("method"),
    events: calendar.getAllSubcomponents("vevent").map((vevent) => {
      const event = new ICAL.Event(vevent);
      return {
        uid: event.uid,
        sequence: event.sequence,
        start: event.startDate.toJSDate().toISOString(),
        end: event.endDate.toJSDate().toISOString(),
        status: vevent.getFirstPropertyValue("status"),
        summary: event.summary,
        location: event.location,
        organizer: event.organizer,
        attendees: event.attendees.map((a) => a.getFirstValue()),
      };
    }),
  };
};

console.log(JSON.stringify(process.argv.slice(2).map(read)));
