DROP TABLE community_posts;
DROP TABLE community_bans;
DROP TABLE community_roles;
DROP TABLE communities;
