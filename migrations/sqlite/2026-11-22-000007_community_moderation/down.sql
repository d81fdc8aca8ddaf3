DROP TABLE poll_votes;
DROP TABLE community_invites;
DROP TABLE community_reports;
