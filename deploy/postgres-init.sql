-- The warehouse database and its owner, next to Airflow's metadata database.
CREATE ROLE kizuna LOGIN PASSWORD 'kizuna';
CREATE DATABASE kizuna OWNER kizuna;
