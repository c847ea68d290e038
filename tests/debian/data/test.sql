-- SQLite on vx: a file database (locks, journal, fsync) and the engine's
-- features. Output and the database file must match the reference run's.
PRAGMA journal_mode=DELETE;
CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT, born INTEGER, city TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO people(name, born, city) SELECT 'person' || i, 1900 + i % 120, 'city' || (i % 37) FROM n;
CREATE INDEX by_city ON people(city);
BEGIN;
UPDATE people SET born = born + 1 WHERE id % 3 = 0;
DELETE FROM people WHERE id % 10 = 0;
COMMIT;
SELECT count(*), sum(born), min(name), max(name) FROM people;
SELECT city, count(*) AS n, avg(born) FROM people GROUP BY city ORDER BY n DESC, city LIMIT 5;
SELECT name, born, rank() OVER (PARTITION BY city ORDER BY born DESC, id) AS r FROM people WHERE city = 'city7' ORDER BY r LIMIT 3;
SELECT json_object('a', 1, 'b', json_array(1, 2, 3)), json_extract('{"x":{"y":[5,6]}}', '$.x.y[1]');
SELECT printf('%.3f|%5d|%s', 3.14159, 42, 'x'), round(2.5), 7 / 2, 7 / 2.0, abs(-9223372036854775807);
CREATE VIRTUAL TABLE docs USING fts5(body);
INSERT INTO docs VALUES ('the quick brown fox'), ('jumps over the lazy dog'), ('quick quick slow');
SELECT rowid, body FROM docs WHERE docs MATCH 'quick' ORDER BY rank;
SELECT sqlite_version() IS NOT NULL, hex(zeroblob(2)), length(zeroblob(1000));
BEGIN;
INSERT INTO people(name) VALUES ('rolled back');
ROLLBACK;
SELECT count(*) FROM people WHERE name = 'rolled back';
PRAGMA integrity_check;
VACUUM;
PRAGMA page_count;
